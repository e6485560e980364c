"""``arrears demo``: a demo bank built from nothing on the embedded defaults, then served."""
