#ifndef NOETHER_CZLIB_SHIM_H
#define NOETHER_CZLIB_SHIM_H
#include <zlib.h>
#endif
