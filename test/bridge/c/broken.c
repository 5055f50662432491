/* Does not compile: the error must reach the user as the compiler printed it. */
#include <linux/dmapool.h>

int main(void)
{
	return dma_pool_alloc_typo(0);
}
