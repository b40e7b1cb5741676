/* Ring buffer count and size: see ringsize.h. */
#include <unistd.h>
#include "ringsize.h"

int td_rings_per_cpu(int ncpus)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	return online > 0 && online < ncpus ? (int)online : ncpus;
}

uint32_t td_ring_bytes(uint64_t total_bytes, int nrings)
{
	uint64_t share = total_bytes / (uint64_t)(nrings > 0 ? nrings : 1), bytes = 1;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t least = page > 0 ? (uint64_t)page : 4096;

	while (bytes * 2 <= share)
		bytes *= 2;
	return (uint32_t)(bytes < least ? least : bytes);
}
