"""One network per module, with shape comments."""
