/* Crashes on purpose: argv[1] = "segv" (NULL dereference) or "bug" (BUG_ON). */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	volatile int *p = NULL;
	printf("about to crash (%s)\n", argc > 1 ? argv[1] : "segv");
	if (argc > 1 && strcmp(argv[1], "bug") == 0)
		BUG_ON(argc == 2);
	return *p;
}
