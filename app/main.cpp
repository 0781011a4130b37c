// cnnzoo: define, analyse and compare the classic ImageNet CNNs.
#include "cli_app.h"
#include "cnnzoo/distributed.h"

int main(int argc, char** argv) {
  const auto app = cnnzoo::cli::make_cli_app();
  const int status = cnnzoo::cli::parse_and_run(*app, argc, argv);
  // A rank that fails (its error already printed) ends the whole job: the others would wait for it forever.
  if (status != 0 && cnnzoo::Communicator::world().distributed()) cnnzoo::Communicator::world().abort_job(status);
  return status;
}
