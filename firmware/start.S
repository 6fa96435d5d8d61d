/* Reset entry: stack, zeroed .bss, main(); main's return value goes to the RESULT register,
   then the CPU idles in a loop. */
    .section .text.start
    .globl _start
_start:
    la sp, __stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  call main
    li t0, 0x20000004
    sw a0, 0(t0)
3:  j 3b
