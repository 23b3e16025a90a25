"""Where the pipeline's images come from: the embedded glyph world (a source pool of rendered
characters, handwritten digit targets, glyph targets rendered anew) or, in real mode, ImageFolder
trees indexed and verified."""
