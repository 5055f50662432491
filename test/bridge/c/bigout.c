/*
 * Much output, fast: stdout and stderr through `dmashim run` into a pipe whose
 * reader is slower than the program. Every line must arrive, in order; stdio
 * must see no write error (argv[1]: lines, default 3000).
 */
#include <linux/dmapool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3000;
	static char fill[2001];
	memset(fill, 'x', sizeof(fill) - 1);
	for (int i = 0; i < n; i++) {
		printf("out %d %s\n", i, fill);
		if (i % 10 == 0)
			dma_pool_free(NULL, NULL, 0); /* a kernel-log line on stderr, from the bridge */
	}
	fflush(stdout);
	if (ferror(stdout) || ferror(stderr)) {
		fprintf(stderr, "bigout: stdio write error\n");
		return 3;
	}
	return 0;
}
