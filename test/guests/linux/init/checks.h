/*
 * The checks /init runs (init.c runs them in order), and what they share: the mode, the failure
 * count and a scratch buffer for reading files.
 */
#ifndef GODWIT_INIT_CHECKS_H
#define GODWIT_INIT_CHECKS_H

#include "libc.h"

#define MAX_CPUS 32

/* Nonzero in bench mode: more disk data and a longer workload. */
extern int bench;
/* Scratch for whole small files (/proc/cpuinfo, sysfs attributes). */
extern char filebuf[16384];

/* Print "init: FAIL what (error err)" and count a failure. */
void fail(const char *what, long err);
/* Virtual monotonic time in microseconds (wraps after 71 minutes; only differences are used). */
uint32_t now_us(void);

/* pci.c: the PCI functions Linux found, from /sys/bus/pci/devices. */
void report_pci(void);
/* disk.c: write a pattern to /dev/vda, sync, read it back and compare. */
void disk_test(void);
/* workload.c: the integer workload on every CPU in `cpus`, one pinned child each. */
void workload_test(uint32_t cpus);

#endif
