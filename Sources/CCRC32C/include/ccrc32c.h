#ifndef MOVIEMASH_CCRC32C_H
#define MOVIEMASH_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Whether this processor has a CRC-32C instruction (SSE 4.2 on x86-64, the CRC extension on AArch64).
int moviemash_crc32c_hardware_available(void);

/// Advances the CRC-32C register `state` (already inverted, as the table code keeps it) over `count`
/// bytes with the processor's instruction. Call only when `moviemash_crc32c_hardware_available()`.
uint32_t moviemash_crc32c_hardware(uint32_t state, const void *bytes, size_t count);

#endif
