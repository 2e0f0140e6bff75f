"""The Generate dock: sample, pick, put on the canvas, sliders, interpolation, training with Cancel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from desktop_app.jobs import JobState
from genart_core import paths
from genart_core.training import TrainSettings, Trainer
from tests.gui.dnd import drop_file

JOB_TIMEOUT = 60_000


def _export(kind: str, name: str, data: str = "noise") -> None:
    images = np.random.default_rng(0).integers(0, 256, (16, 28, 28, 1), dtype=np.uint8)
    settings = TrainSettings(method=kind, steps=1, batch=8, width=16 if kind == "gan" else 8, latent_dim=6, bf16=False)
    trainer = Trainer(settings, images)
    trainer.train_step()
    trainer.export(paths.models_dir() / name, name, data)


@pytest.fixture
def panel(window):
    _export("gan", "tiny-gan")
    _export("vae", "tiny-vae")
    panel = window.generate_panel
    panel.refresh_models(select="tiny-gan")
    window.generate_dock.raise_()
    return panel


def _choose(panel, name: str) -> None:
    index = next(i for i in range(panel.model_combo.count()) if name in panel.model_combo.itemText(i))
    panel.model_combo.setCurrentIndex(index)


def _sample(qtbot, panel, count: int = 6) -> None:
    panel.count_spin.setValue(count)
    panel.sample()
    qtbot.waitUntil(lambda: panel.grid_view.count() == count and not panel.jobs, timeout=JOB_TIMEOUT)


def test_sample_pick_and_put_on_canvas_undoably(qtbot, window, panel):
    _sample(qtbot, panel)
    assert not window.canvas.has_image  # a sample grid stays in the panel
    assert window.history_panel.list.count() == 0
    panel.grid_view.setCurrentRow(2)
    assert np.array_equal(panel.slider_code(), panel._latents[2])
    panel.put_on_canvas()
    array = window.canvas.image_array()
    assert array.shape[0] >= 28 * 8 and array.shape[0] == array.shape[1]
    window.history_panel.wait_for_writes()  # what went on the canvas is in the history too
    qtbot.waitUntil(lambda: window.history_panel.list.count() == 1)
    assert window.history_panel.list.item(0).text() == "tiny-gan"
    window.canvas.undo_stack.undo()
    assert not window.canvas.has_image or window.canvas.image_array().shape != array.shape


def test_slider_moves_the_picked_sample(qtbot, window, panel):
    _choose(panel, "tiny-vae")
    _sample(qtbot, panel, 4)
    panel.grid_view.setCurrentRow(0)
    before = panel._current[0].copy()
    panel.sliders[0].setValue(30)
    qtbot.waitUntil(lambda: not np.array_equal(panel._current[0], before), timeout=JOB_TIMEOUT)
    assert not np.allclose(panel.slider_code(), panel._latents[0])
    assert not window.canvas.has_image


def test_interpolate_between_two_dropped_images(qtbot, window, panel, tmp_path):
    _choose(panel, "tiny-vae")
    for well, value in zip(panel.end_wells, (0, 255)):
        path = tmp_path / f"{value}.png"
        Image.new("RGB", (40, 30), (value, value, value)).save(path)
        drop_file(well, path)
    panel.steps_spin.setValue(5)
    panel.interpolate()
    qtbot.waitUntil(lambda: not panel.strip_label.pixmap().isNull(), timeout=JOB_TIMEOUT)
    assert panel.strip_label.pixmap().width() >= 5 * 28


def test_training_dialog_trains_saves_and_lists_the_model(qtbot, window, panel, tmp_path):
    data = tmp_path / "pictures"
    data.mkdir()
    for index in range(6):
        Image.fromarray(np.random.default_rng(index).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(data / f"{index}.png")
    panel.open_training()
    dialog = panel.training_dialog
    dialog.data_edit.setText(str(data))
    dialog.method_combo.setCurrentIndex(2)  # VAE
    dialog.epochs_spin.setValue(2)
    dialog.name_edit.setText("from folder")
    with qtbot.waitSignal(dialog.model_saved, timeout=JOB_TIMEOUT) as saved:
        dialog.start()
    assert saved.args == ["from-folder"]
    assert (paths.models_dir() / "from-folder" / "model.safetensors").is_file()
    assert dialog.plot.series and not dialog.running
    assert "Diversity" in dialog.diversity_label.text() and "sharpness" in dialog.diversity_label.text()
    assert any("from-folder" in panel.model_combo.itemText(i) for i in range(panel.model_combo.count()))
    assert not window.canvas.has_image


def start_long_training(qtbot, panel):
    """A training run that goes on for minutes, once its first losses are plotted; returns its dialog."""
    panel.open_training()
    dialog = panel.training_dialog
    dialog.data_edit.setText("bundled:sklearn-digits")
    dialog.epochs_spin.setValue(50)
    dialog.start()
    qtbot.waitUntil(lambda: bool(dialog.plot.series), timeout=JOB_TIMEOUT)
    return dialog


def test_sampling_during_training_waits_its_turn_and_cancel_stops_only_the_training(qtbot, window, panel):
    dialog = start_long_training(qtbot, panel)
    training = window.controller.current_job
    panel.count_spin.setValue(4)
    panel.sample()  # queued behind the training, which goes on
    sampling = panel.jobs["sample"]
    assert sampling.state is JobState.QUEUED and training.state is JobState.RUNNING and dialog.running
    assert "waiting in the queue" in panel.status_label.text()
    with qtbot.waitSignal(training.cancelled, timeout=JOB_TIMEOUT):
        dialog.cancel()
    assert not dialog.running and "Cancelled" in dialog.status_label.text()
    qtbot.waitUntil(lambda: panel.grid_view.count() == 4, timeout=JOB_TIMEOUT)  # the sampling ran next
    assert sampling.state is JobState.FINISHED and panel.status_label.text().startswith("4 samples")


def test_the_dock_fits_a_1280_pixel_window_with_labelled_sliders(qtbot, window, panel):
    window.resize(1280, 800)
    _sample(qtbot, panel, 4)
    qtbot.waitUntil(lambda: panel.widget().width() <= panel.viewport().width())
    assert not panel.horizontalScrollBar().isVisible()
    viewport = panel.viewport()
    for button in (panel.seed_field.random_button, panel.sample_button, panel.to_canvas_button, panel.save_button, panel.interpolate_button):
        left = button.mapTo(viewport, button.rect().topLeft()).x()
        right = button.mapTo(viewport, button.rect().topRight()).x()
        assert 0 <= left and right < viewport.width(), f"{button.text()} is cut off"
    assert [label.text() for label in panel.slider_labels] == [f"Dir. {n}" for n in range(1, len(panel.sliders) + 1)]


def test_training_dialog_offers_the_sharper_vae_terms_for_a_vae_only(qtbot, panel):
    panel.open_training()
    dialog = panel.training_dialog
    dialog.method_combo.setCurrentIndex(2)  # VAE
    assert dialog.perceptual_spin.isEnabled() and dialog.adversarial_spin.isEnabled()
    assert dialog.perceptual_spin.text() == "Off"  # 0 until chosen
    dialog.perceptual_spin.setValue(1.0)
    dialog.adversarial_spin.setValue(0.15)
    request = dialog.request()
    assert (request.method, request.perceptual_weight, request.adversarial_weight) == ("vae", 1.0, 0.15)
    dialog.method_combo.setCurrentIndex(0)  # GAN: the terms do not apply
    assert not dialog.perceptual_spin.isEnabled() and not dialog.adversarial_spin.isEnabled()
    assert (dialog.request().perceptual_weight, dialog.request().adversarial_weight) == (0.0, 0.0)
