/*
 * console: a tiny interactive console on COM1, for the console, record/replay and QMP tests. It
 * reads the UART in its interrupt handler (IRQ4 through the 8259: received data available and line
 * status, with the FIFO's trigger level from the command line), echoes what it reads as a terminal
 * would, and runs one command per line (a line ends with CR, LF or CR LF):
 *
 *   echo TEXT      prints TEXT
 *   add A B        prints A+B (decimal)
 *   stats          bytes read, interrupts taken, overruns and line-status interrupts seen
 *   sleep N        waits N ms of guest time (8254 channel 0, one-shot per ms, HLT in between)
 *   reset          resets the machine through port 0xCF9
 *   exit N         ends through isa-debug-exit with N
 *
 * Between lines it prints the prompt "> " (without a newline) and halts with interrupts on and no
 * timer armed: the machine waits for input. Nothing it prints depends on timing or on where the
 * input arrived, only on the bytes.
 * cmdline: trigger=1|4|8|14 (FIFO trigger level, default 1)
 */
#include "sys.h"

#define COM1 0x3F8
#define COM1_IRQ 4
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x1E

static volatile uint8_t ring[1024];
static volatile uint32_t ring_head, ring_tail;
static volatile uint32_t rx_bytes, rx_irqs, overruns, line_irqs;
static volatile uint32_t ticks;

static void uart_irq(struct frame *f)
{
	(void)f;
	rx_irqs++;
	for (;;) {
		uint8_t lsr = inb(COM1 + 5);
		if (lsr & LSR_ERRORS) {
			line_irqs++;
			if (lsr & LSR_OE)
				overruns++;
		}
		if (!(lsr & LSR_DR))
			break;
		uint8_t c = inb(COM1);
		rx_bytes++;
		if (ring_head - ring_tail < sizeof ring)
			ring[ring_head++ % sizeof ring] = c;
	}
	(void)inb(COM1 + 2); /* IIR: acknowledge */
	pic_eoi(COM1_IRQ);
}

static void timer_irq(struct frame *f)
{
	(void)f;
	ticks++;
	pic_eoi(0);
}

/* The next byte of input; halts (interrupts on, no timer armed) while there is none. */
static int getc_wait(void)
{
	for (;;) {
		cli();
		if (ring_tail != ring_head) {
			int c = ring[ring_tail++ % sizeof ring];
			sti();
			return c;
		}
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

static void sleep_ms(uint32_t ms)
{
	pic_mask(0, 0);
	for (uint32_t i = 0; i < ms; i++) {
		uint32_t before = ticks;
		outb(0x43, 0x30);            /* channel 0, lobyte/hibyte, mode 0 (one-shot) */
		outb(0x40, 1193 & 0xff);     /* 1 ms */
		outb(0x40, 1193 >> 8);
		while (ticks == before)
			__asm__ volatile("sti; hlt" ::: "memory");
	}
	pic_mask(0, 1);
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

static const char *parse_uint(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	s = skip_spaces(s);
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint32_t)(*s++ - '0');
	*out = v;
	return s;
}

static void run_command(const char *line)
{
	uint32_t a, b;
	if (strncmp(line, "echo ", 5) == 0) {
		printf("%s\n", line + 5);
	} else if (strncmp(line, "add ", 4) == 0) {
		parse_uint(parse_uint(line + 4, &a), &b);
		printf("%u+%u=%u\n", a, b, a + b);
	} else if (strcmp(line, "stats") == 0) {
		printf("read %u bytes in %u interrupts, %u overruns, %u line-status interrupts\n", rx_bytes, rx_irqs, overruns, line_irqs);
	} else if (strncmp(line, "sleep ", 6) == 0) {
		parse_uint(line + 6, &a);
		sleep_ms(a);
		printf("slept %u ms\n", a);
	} else if (strcmp(line, "reset") == 0) {
		printf("resetting\n");
		outb(0xCF9, 0x06);
	} else if (strncmp(line, "exit ", 5) == 0) {
		parse_uint(line + 5, &a);
		printf("bye\n");
		exit((int)a);
	} else if (line[0] != 0) {
		printf("unknown command: %s\n", line);
	}
}

int main(unsigned magic, struct multiboot_info *mbi)
{
	static char line[128];
	uint32_t trigger = cmdline_uint(magic, mbi, "trigger", 1);
	uint8_t fcr = trigger >= 14 ? 0xC0 : trigger >= 8 ? 0x80 : trigger >= 4 ? 0x40 : 0x00;
	serial_init();
	sys_init();
	pic_remap(0x20, 0x28);
	set_handler(0x20, timer_irq);
	set_handler(0x20 + COM1_IRQ, uart_irq);
	outb(COM1 + 2, (uint8_t)(fcr | 0x07)); /* FIFOs on and cleared, trigger level */
	outb(COM1 + 4, 0x0B);                  /* DTR, RTS, OUT2 (the PC's IRQ gate) */
	outb(COM1 + 1, 0x05);                  /* IER: received data, line status */
	pic_mask(COM1_IRQ, 0);
	/* The firmware leaves channel 0 periodic: one last one-shot (its IRQ masked) disarms it, so
	 * that the machine has no timer armed while this guest waits for input. */
	outb(0x43, 0x30);
	outb(0x40, 1);
	outb(0x40, 0);
	sti();
	printf("console: ready (trigger %u)\n", trigger);
	uint32_t len = 0;
	int last = 0;
	printf("> ");
	for (;;) {
		int c = getc_wait();
		if (c == '\n' && last == '\r') {
			last = c;
			continue;
		}
		last = c;
		if (c == '\r' || c == '\n') {
			printf("\n");
			line[len] = 0;
			run_command(line);
			len = 0;
			printf("> ");
		} else if (c == 0x7f || c == 0x08) {
			if (len > 0) {
				len--;
				printf("\b \b");
			}
		} else if (len + 1 < sizeof line && c >= 0x20 && c < 0x7f) {
			line[len++] = (char)c;
			printf("%c", c);
		}
	}
}
