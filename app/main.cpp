// cnnzoo: define, analyse and compare the classic ImageNet CNNs.
#include "cli_app.h"

int main(int argc, char** argv) {
  const auto app = cnnzoo::cli::make_cli_app();
  return cnnzoo::cli::parse_and_run(*app, argc, argv);
}
