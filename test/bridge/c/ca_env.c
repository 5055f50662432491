/* What the program sees of NODE_EXTRA_CA_CERTS, and whether its process started with it (run_api.test.ts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char env0[1 << 20];

int main(void)
{
	const char *v = getenv("NODE_EXTRA_CA_CERTS");
	const char *r = getenv("DMASHIM_RUNNER_NODE_EXTRA_CA_CERTS");
	FILE *f = fopen("/proc/self/environ", "r");
	size_t n = f ? fread(env0, 1, sizeof(env0) - 1, f) : 0;
	int at_start = 0;

	if (f)
		fclose(f);
	for (size_t i = 0; i < n; i += strlen(env0 + i) + 1)
		if (!strncmp(env0 + i, "NODE_EXTRA_CA_CERTS=", 20))
			at_start = 1;
	printf("getenv=%s renamed=%s at_start=%d\n", v ? v : "(unset)", r ? r : "(unset)", at_start);
	return 0;
}
