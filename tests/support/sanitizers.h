// Whether this test binary runs under AddressSanitizer: GCC says so with __SANITIZE_ADDRESS__, clang
// through __has_feature. A few checks cannot run there (ASan reserves terabytes of address space for its
// shadow memory, so a process under `ulimit -v` cannot start).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define CNNZOO_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CNNZOO_TEST_UNDER_ASAN 1
#endif
#endif
#ifndef CNNZOO_TEST_UNDER_ASAN
#define CNNZOO_TEST_UNDER_ASAN 0
#endif
