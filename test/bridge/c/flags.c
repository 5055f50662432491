/* Compiler flags passed through `dmashim run`: --cflags "-O0 -DX", -I, -D, -l. */
#include <math.h>
#include <stdio.h>
#include <flags_extra.h>

int main(void)
{
	volatile double x = 2.5; /* floor() from libm, not folded away */
	printf("%s %d %d %.0f\n", FROM_CFLAGS, FROM_D, FLAGS_EXTRA, floor(x));
	return 0;
}
