"""Reports: roll rates first; recovery, cure and performance reports later."""
