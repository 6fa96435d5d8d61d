/* The CPU port onto ftio (hdl/src/cpu_port.rs) and the console (sim/verilog/ftio_cpu_side.v). */
#ifndef FTIO_PORT_H
#define FTIO_PORT_H
#include <stdint.h>

#define FTIO_PORT_BASE 0x10000000u
#define FTIO_TX      (*(volatile uint32_t *)(FTIO_PORT_BASE + 0x0))  /* store: word, last = 0 */
#define FTIO_TX_LAST (*(volatile uint32_t *)(FTIO_PORT_BASE + 0x4))  /* store: word, last = 1 */
#define FTIO_RX      (*(volatile uint32_t *)(FTIO_PORT_BASE + 0x8))  /* load: next word (stalls) */
#define FTIO_STATUS  (*(volatile uint32_t *)(FTIO_PORT_BASE + 0xC))  /* flags; store clears sticky */

#define FTIO_ST_RX_WAITING (1u << 0)
#define FTIO_ST_RX_LAST    (1u << 1)
#define FTIO_ST_RX_ABORT   (1u << 2)
#define FTIO_ST_RX_PERR    (1u << 3)
#define FTIO_ST_TX_RERR    (1u << 4)
#define FTIO_ST_BAD_ACCESS (1u << 5)

#define CONSOLE (*(volatile uint32_t *)0x20000000u)  /* store: print the low byte */
#define RESULT  (*(volatile uint32_t *)0x20000004u)  /* store: the firmware's result */

#endif
