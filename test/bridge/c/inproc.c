/* `dmashim run` runs the program in its own process: what that must not change for the program. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t rang;

static void on_alarm(int sig)
{
	(void)sig;
	rang = 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "pid")) {
		printf("pid=%d\n", (int)getpid());
		return 0;
	}
	if (!strcmp(mode, "children")) {
		/* A child started by the program writes to the program's stdout and stderr. */
		fflush(stdout);
		int rc = system("echo child-out; echo child-err >&2");
		printf("system=%d\n", rc);
		return rc == 0 ? 0 : 1;
	}
	if (!strcmp(mode, "alarm")) {
		/* The program's own SIGALRM is its own, --timeout or not. */
		signal(SIGALRM, on_alarm);
		alarm(1);
		while (!rang)
			pause();
		printf("alarm rang\n");
		fflush(stdout);
		/* Then hang: --timeout must still end the run. */
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: inproc pid|children|alarm\n");
	return 2;
}
