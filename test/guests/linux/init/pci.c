/* The PCI functions Linux found: vendor:device, class and whether MSI is on, from sysfs. */
#include "checks.h"

/* One sysfs attribute of a PCI function ("0x8086\n") without the 0x and the newline. */
static void out_pci_attr(const char *dev, const char *attr)
{
	static char path[128];
	static char value[32];
	str_copy(path, "/sys/bus/pci/devices/", sizeof path);
	size_t n = strlen(path);
	str_copy(path + n, dev, sizeof path - n);
	n = strlen(path);
	str_copy(path + n, attr, sizeof path - n);
	long r = read_file(path, value, sizeof value);
	if (r < 0) {
		out_str("?");
		return;
	}
	char *v = value;
	if (v[0] == '0' && v[1] == 'x')
		v += 2;
	for (char *p = v; *p; p++)
		if (*p == '\n')
			*p = 0;
	out_str(v);
}

/* True when the driver of the function enabled MSI or MSI-X: sysfs lists its vectors in msi_irqs. */
static int pci_has_msi(const char *dev)
{
	static char path[128];
	static char vectors[8][16];
	str_copy(path, "/sys/bus/pci/devices/", sizeof path);
	size_t n = strlen(path);
	str_copy(path + n, dev, sizeof path - n);
	n = strlen(path);
	str_copy(path + n, "/msi_irqs", sizeof path - n);
	return list_dir(path, &vectors[0][0], sizeof vectors[0], 8) > 0;
}

void report_pci(void)
{
	static char names[32][16];
	long n = list_dir("/sys/bus/pci/devices", &names[0][0], sizeof names[0], 32);
	if (n < 0) {
		out_str("init: pci: no /sys/bus/pci/devices (no PCI bus found)\n");
		return;
	}
	out_str("init: pci: ");
	out_udec((uint32_t)n);
	out_str(" functions\n");
	for (long i = 0; i < n; i++) {
		out_str("init: pci ");
		out_str(names[i]);
		out_char(' ');
		out_pci_attr(names[i], "/vendor");
		out_char(':');
		out_pci_attr(names[i], "/device");
		out_str(" class ");
		out_pci_attr(names[i], "/class");
		if (pci_has_msi(names[i]))
			out_str(" msi");
		out_char('\n');
	}
}
