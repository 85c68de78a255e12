/* Minimal assertion for the plain C tests: counts failures and goes on. */
#ifndef PM_TEST_CHECK_H
#define PM_TEST_CHECK_H
#include <stdio.h>

static int failures;
#define CHECK(cond, ...)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      failures++;                                                                          \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);             \
      fprintf(stderr, __VA_ARGS__);                                                        \
      fputc('\n', stderr);                                                                 \
    }                                                                                      \
  } while (0)

#endif
