/* A small block-storage driver and its self-test, for a CPU behind ftio.
 *
 * It speaks the frame format of docs/frame-format.md through the CPU port: WRITE DMA EXT
 * (Register H2D FIS, then one Data FIS with the sectors) and READ DMA EXT (Register H2D FIS;
 * the disk answers with Data FISes, then a Register D2H FIS). It writes WRITES ranges of
 * sectors, reads each back and checks every word, each completion's status and echo, the
 * frame boundaries (`last` where the frame ends, never earlier) and the port's parity flags.
 * It prints a line per command on the console and returns 0 when everything held, else the
 * code of the first failure (reported through the RESULT register by start.S).
 */
#include "ftio_port.h"
#include "workload.h"

#define ATA_WRITE_DMA_EXT 0x35u
#define ATA_READ_DMA_EXT  0x25u
#define FIS_H2D  0x27u
#define FIS_D2H  0x34u
#define FIS_DATA 0x46u
#define STATUS_GOOD 0x50u
#define DATA_FIS_SECTORS 16u /* the disks send up to 16 sectors per Data FIS */

/* Failure codes (RESULT): 0xBAD0_0000 | what << 8 | command index. */
enum { F_STATUS = 1, F_ECHO = 2, F_DATA = 3, F_FRAME = 4, F_PARITY = 5, F_TYPE = 6 };
#define FAIL(what, i) (0xBAD00000u | ((uint32_t)(what) << 8) | (uint32_t)(i))

/* The sectors of one write, built before the command goes out. At a fixed address
   (firmware/link.ld) so a simulation can name a word of it. */
static uint32_t wbuf[MAX_SECTORS * SECTOR_WORDS] __attribute__((section(".wbuf")));

static void puts_(const char *s) {
    while (*s) CONSOLE = (uint32_t)(unsigned char)*s++;
}

static void put_dec(uint32_t v) {
    /* rv32i has no divide instruction: count down powers of ten. */
    static const uint32_t p10[] = {1000000000u, 100000000u, 10000000u, 1000000u, 100000u, 10000u, 1000u, 100u, 10u, 1u};
    int started = 0;
    for (int k = 0; k < 10; k++) {
        uint32_t d = 0;
        while (v >= p10[k]) { v -= p10[k]; d++; }
        if (d || started || k == 9) { CONSOLE = '0' + d; started = 1; }
    }
}

static void put_hex(uint32_t v) {
    char b[11] = "0x";
    for (int k = 0; k < 8; k++) {
        uint32_t nib = (v >> (28 - 4 * k)) & 0xF;
        b[2 + k] = (char)(nib < 10 ? '0' + nib : 'a' + nib - 10);
    }
    b[10] = 0;
    puts_(b);
}

static void send_command(uint32_t command, uint32_t lba, uint32_t count) {
    FTIO_TX = FIS_H2D | 0x8000u | (command << 16);
    FTIO_TX = (lba & 0xFFFFFFu) | (0x40u << 24);
    FTIO_TX = lba >> 24;
    FTIO_TX = count & 0xFFFFu;
    FTIO_TX_LAST = 0;
}

/* A word of a frame from the disk; `last_expected`: it must end the frame (else it must not). */
static int take(uint32_t *w, int last_expected) {
    *w = FTIO_RX;
    uint32_t st = FTIO_STATUS;
    if (st & (FTIO_ST_RX_PERR | FTIO_ST_RX_ABORT)) return F_PARITY;
    return (((st & FTIO_ST_RX_LAST) != 0) == (last_expected != 0)) ? 0 : F_FRAME;
}

/* The Register D2H FIS that ends command `i`: good status, the command's LBA and count. */
static uint32_t completion(int i, uint32_t lba, uint32_t count) {
    uint32_t w[5];
    for (int k = 0; k < 5; k++) {
        int e = take(&w[k], k == 4);
        if (e) return FAIL(e, i);
    }
    if ((w[0] & 0xFFu) != FIS_D2H) return FAIL(F_TYPE, i);
    if (w[0] != (FIS_D2H | 0x4000u | (STATUS_GOOD << 16))) return FAIL(F_STATUS, i);
    if (w[1] != ((lba & 0xFFFFFFu) | (0x40u << 24)) || w[2] != (lba >> 24) || w[3] != count) return FAIL(F_ECHO, i);
    return 0;
}

static uint32_t write_range(int i, uint32_t lba, uint32_t sectors) {
    uint32_t n = sectors * SECTOR_WORDS;
    for (uint32_t s = 0; s < sectors; s++) {
        uint32_t x = pattern_seed(lba + s);
        for (uint32_t w = 0; w < SECTOR_WORDS; w++) {
            x = pattern_next(x);
            wbuf[s * SECTOR_WORDS + w] = x;
        }
    }
    send_command(ATA_WRITE_DMA_EXT, lba, sectors);
    FTIO_TX = FIS_DATA;
    for (uint32_t k = 0; k + 1 < n; k++) FTIO_TX = wbuf[k];
    FTIO_TX_LAST = wbuf[n - 1];
    return completion(i, lba, sectors);
}

static uint32_t read_range(int i, uint32_t lba, uint32_t sectors) {
    send_command(ATA_READ_DMA_EXT, lba, sectors);
    uint32_t s = 0;
    while (s < sectors) {
        uint32_t in_fis = sectors - s < DATA_FIS_SECTORS ? sectors - s : DATA_FIS_SECTORS;
        uint32_t w;
        int e = take(&w, 0);
        if (e) return FAIL(e, i);
        if (w != FIS_DATA) return FAIL(F_TYPE, i);
        for (uint32_t t = 0; t < in_fis; t++, s++) {
            uint32_t x = pattern_seed(lba + s);
            for (uint32_t k = 0; k < SECTOR_WORDS; k++) {
                x = pattern_next(x);
                e = take(&w, t + 1 == in_fis && k + 1 == SECTOR_WORDS);
                if (e) return FAIL(e, i);
                if (w != x) return FAIL(F_DATA, i);
            }
        }
    }
    return completion(i, lba, sectors);
}

int main(void) {
    uint32_t sectors = 0;
    puts_("ftio firmware: block-storage self-test, ");
    put_dec(WRITES);
    puts_(" writes then read-back\n");
    FTIO_STATUS = 0; /* clear the port's sticky flags */
    for (int i = 0; i < WRITES; i++) {
        uint32_t r = write_range(i, WRITE_LBA(i), WRITE_SECTORS(i));
        puts_("write ");
        put_dec((uint32_t)i);
        puts_(" lba ");
        put_dec(WRITE_LBA(i));
        puts_(" x");
        put_dec(WRITE_SECTORS(i));
        puts_(r ? " FAILED " : " ok\n");
        if (r) { put_hex(r); puts_("\n"); return (int)r; }
        sectors += WRITE_SECTORS(i);
    }
    for (int i = 0; i < WRITES; i++) {
        uint32_t r = read_range(WRITES + i, WRITE_LBA(i), WRITE_SECTORS(i));
        puts_("read ");
        put_dec((uint32_t)i);
        puts_(r ? " FAILED " : " ok\n");
        if (r) { put_hex(r); puts_("\n"); return (int)r; }
    }
    if (FTIO_STATUS & (FTIO_ST_RX_PERR | FTIO_ST_TX_RERR | FTIO_ST_BAD_ACCESS)) {
        puts_("port flags ");
        put_hex(FTIO_STATUS);
        puts_("\n");
        return (int)FAIL(F_PARITY, 0xFF);
    }
    puts_("PASS: ");
    put_dec(sectors);
    puts_(" sectors written, read back and checked\n");
    return 0;
}
