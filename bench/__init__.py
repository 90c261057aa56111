"""Load benchmark of the lms_bridge LRS: ``python -m bench`` (see ``bench/__main__.py``)."""
