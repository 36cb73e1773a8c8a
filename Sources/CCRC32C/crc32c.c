// CRC-32C with the processor's own instruction. The function carries a target attribute instead of the
// whole target being built with -msse4.2, so the binary still runs on a processor without it (the Swift
// side checks `moviemash_crc32c_hardware_available` once and falls back to its table).
#include "ccrc32c.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <pthread.h>

int moviemash_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

// Three independent streams hide the instruction's three-cycle latency on long inputs; their registers
// are merged with a shift-by-multiplication over GF(2) (below), as Intel's paper on iSCSI CRC describes.
#define BLOCK 1024

__attribute__((target("sse4.2")))
static uint32_t single(uint32_t state, const unsigned char *p, size_t n) {
    uint64_t crc = state;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = _mm_crc32_u64(crc, word);
        p += 8;
        n -= 8;
    }
    uint32_t c = (uint32_t)crc;
    while (n > 0) {
        c = _mm_crc32_u8(c, *p++);
        n--;
    }
    return c;
}

// x^(8 * BLOCK * k) mod P applied to a register, as a carry-less product reduced by the same instruction:
// tables of the register's effect for each byte position, built once.
static uint32_t shift_table[2][4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

static uint32_t multiply(uint32_t a, uint32_t b) {
    // Product of two polynomials in the reflected representation, modulo the CRC-32C polynomial.
    uint32_t product = 0;
    for (int i = 0; i < 32; i++) {
        if (a & 0x80000000u) product ^= b;
        a <<= 1;
        b = (b & 1) ? (b >> 1) ^ 0x82F63B78u : b >> 1;
    }
    return product;
}

static uint32_t x_power(uint64_t bits) {
    // x^bits mod P, reflected: square-and-multiply from x^0.
    uint32_t result = 0x80000000u, square = 0x40000000u;  // x^0 and x^1
    while (bits) {
        if (bits & 1) result = multiply(result, square);
        square = multiply(square, square);
        bits >>= 1;
    }
    return result;
}

static void build_shift_tables(void) {
    for (int k = 0; k < 2; k++) {
        uint32_t factor = x_power((uint64_t)8 * BLOCK * (uint64_t)(k + 1));
        for (int position = 0; position < 4; position++) {
            for (int byte = 0; byte < 256; byte++) {
                shift_table[k][position][byte] = multiply((uint32_t)byte << (8 * position), factor);
            }
        }
    }
}

static uint32_t shifted(int k, uint32_t crc) {
    return shift_table[k][0][crc & 0xFF] ^ shift_table[k][1][(crc >> 8) & 0xFF]
         ^ shift_table[k][2][(crc >> 16) & 0xFF] ^ shift_table[k][3][crc >> 24];
}

__attribute__((target("sse4.2")))
uint32_t moviemash_crc32c_hardware(uint32_t state, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    if (count >= 3 * BLOCK) {
        pthread_once(&shift_once, build_shift_tables);
        while (count >= 3 * BLOCK) {
            uint64_t a = state, b = 0, c = 0;
            for (size_t i = 0; i < BLOCK; i += 8) {
                uint64_t wa, wb, wc;
                memcpy(&wa, p + i, 8);
                memcpy(&wb, p + BLOCK + i, 8);
                memcpy(&wc, p + 2 * BLOCK + i, 8);
                a = _mm_crc32_u64(a, wa);
                b = _mm_crc32_u64(b, wb);
                c = _mm_crc32_u64(c, wc);
            }
            // a covers the first block: shifted past the other two; b past one; c ends where the data does.
            state = shifted(1, (uint32_t)a) ^ shifted(0, (uint32_t)b) ^ (uint32_t)c;
            p += 3 * BLOCK;
            count -= 3 * BLOCK;
        }
    }
    return single(state, p, count);
}

#elif defined(__aarch64__)
#include <arm_acle.h>
#include <sys/auxv.h>

#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif

int moviemash_crc32c_hardware_available(void) {
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
}

__attribute__((target("crc")))
uint32_t moviemash_crc32c_hardware(uint32_t state, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        state = __crc32cd(state, word);
        p += 8;
        count -= 8;
    }
    while (count > 0) {
        state = __crc32cb(state, *p++);
        count--;
    }
    return state;
}

#else

int moviemash_crc32c_hardware_available(void) { return 0; }

uint32_t moviemash_crc32c_hardware(uint32_t state, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return state;
}

#endif
