/* Crashes on purpose, in a helper called from main: argv[1] = "segv", "fpe" or "abort". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Volatile: the compiler can neither fold the fault away nor turn it into a trap instruction. */
static int *volatile target;
static volatile int divisor;

static __attribute__((noinline)) int deref_null(void)
{
	return *target + 1; /* MARK segv */
}

static __attribute__((noinline)) int divide_by_zero(int n)
{
	return n / divisor + 1; /* MARK fpe */
}

static __attribute__((noinline)) int give_up(void)
{
	abort(); /* MARK abort */
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "segv";
	int r;
	printf("crashing (%s)\n", mode);
	fflush(stdout);
	if (strcmp(mode, "fpe") == 0)
		r = divide_by_zero(argc); /* MARK call-fpe */
	else if (strcmp(mode, "abort") == 0)
		r = give_up(); /* MARK call-abort */
	else
		r = deref_null(); /* MARK call-segv */
	printf("survived: %d\n", r);
	return 0;
}
