#ifndef NOETHER_COPENBLAS_SHIM_H
#define NOETHER_COPENBLAS_SHIM_H

#include <stddef.h>
#include <cblas.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

// LAPACK's Fortran entry points, which libopenblas exports. gfortran passes the length of each
// character argument as a trailing hidden size_t; we declare and pass them so the calls are exact.
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s,
             float *u, const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork,
             int *iwork, int *info, size_t jobz_len);
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork,
             int *iwork, int *info, size_t jobz_len);
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);

// The widest x86 vector kernels this CPU and its operating system support: 2 for AVX-512
// (F, CD, DQ, BW, VL, with the OS saving the zmm state), 1 for AVX2 with FMA (ymm state saved),
// 0 otherwise or on other architectures. Read from cpuid and xgetbv, so it needs no runtime library.
static inline int noether_x86_vector_level(void) {
#if defined(__x86_64__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return 0;
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    (void)high;
    if ((low & 0x6) != 0x6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1;
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 28) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
    if (avx512 && (low & 0xE6) == 0xE6) return 2;
    return avx2 && fma ? 1 : 0;
#else
    return 0;
#endif
}

#endif
