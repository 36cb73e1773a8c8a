// Declarations only (see include/CFuzzer.h); a C target needs a source file.
