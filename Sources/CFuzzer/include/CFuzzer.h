#ifndef MOVIEMASH_CFUZZER_H
#define MOVIEMASH_CFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs with a main of their own (libclang_rt.fuzzer_no_main): it parses the
/// libFuzzer flags in argv and calls `callback` with each input. Only fuzzing builds link libFuzzer.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
