/* What the firmware writes. sim/src/cpu_demo.rs (`Workload`) computes the same sectors to
   make the golden disk image, so a change here must be made there too (the demo's checks
   fail otherwise). */
#ifndef WORKLOAD_H
#define WORKLOAD_H
#include <stdint.h>

#define WRITES 8                                  /* write commands, then one read-back of each */
#define WRITE_LBA(i) (5u + 7u * (uint32_t)(i))     /* first sector of write i: 5..54, the last
                                                     sector 57, so a 64-sector disk holds it */
#define WRITE_SECTORS(i) (1u + (uint32_t)(i) % 4u) /* sectors of write i: 1..4 */
#define MAX_SECTORS 4
#define SECTOR_WORDS 128

/* Word w (0..127) of sector `lba`: xorshift32 from a seed made of the LBA. */
static inline uint32_t pattern_seed(uint32_t lba) { return (lba << 16) ^ lba ^ 0xA5A5F00Du; }
static inline uint32_t pattern_next(uint32_t x) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}
#endif
