#include "html/chart_js.h"

// The assembler's .incbin copies the file into the object as it is: no generated source of hex bytes to
// compile. CNNZOO_CHART_JS is the file's path, found by CMake (CMakeLists.txt), which also recompiles this
// file when the package changes it.
#define CNNZOO_STRINGIFY_(x) #x
#define CNNZOO_STRINGIFY(x) CNNZOO_STRINGIFY_(x)

__asm__(
    ".section .rodata\n"
    ".balign 16\n"
    "cnnzoo_chart_js_begin:\n"
    ".incbin \"" CNNZOO_STRINGIFY(CNNZOO_CHART_JS) "\"\n"
    "cnnzoo_chart_js_end:\n"
    ".balign 16\n"
    "cnnzoo_chart_js_size:\n"
    ".quad cnnzoo_chart_js_end - cnnzoo_chart_js_begin\n"
    ".previous\n");

extern "C" {
extern const char cnnzoo_chart_js_begin[];
extern const unsigned long long cnnzoo_chart_js_size;
}

namespace cnnzoo::html {

std::string_view chart_js_source() { return {cnnzoo_chart_js_begin, cnnzoo_chart_js_size}; }

}  // namespace cnnzoo::html
