// slift: simulate stochastic systems, learn them with Stochastic Lifting, sample, evaluate.
// Subcommands live in pipeline/commands/; errors become exit codes here and only here:
// 0 done, 1 run-time failure, 2 usage or config error.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/machine.hpp"
#include "core/mpi_env.hpp"
#include "core/version.hpp"
#include "pipeline/commands/common.hpp"

namespace {

// The last word when a library crashes (HDF5 on a corrupt global heap): one line and an exit code,
// never a bare signal. Only async-signal-safe calls.
void on_fatal_signal(int signal) {
  const char* file = slift::dataset_being_read();
  auto say = [](const char* text) { (void)!::write(STDERR_FILENO, text, std::strlen(text)); };
  if (file[0]) {
    say("error: ");
    say(file);
    say(": corrupt dataset (the HDF5 library crashed reading it)\n");
    ::_exit(static_cast<int>(slift::ExitCode::usage));
  }
  say("error: internal failure (fatal signal ");
  const char digits[] = {static_cast<char>('0' + signal / 10 % 10), static_cast<char>('0' + signal % 10), ')', '\n', 0};
  say(digits);
  ::_exit(static_cast<int>(slift::ExitCode::runtime));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace slift;
  machine::prefer_sleeping_openmp_threads(argv);  // before anything else: it may start the program again
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(s, on_fatal_signal);
  CLI::App app{"slift: simulate stochastic systems, learn them with Stochastic Lifting, generate more.\n"
               "Example: slift run configs/duffing.yaml"};
  app.set_version_flag("--version", std::string(version()) + " (" + git_commit() + ")");
  app.require_subcommand(1);
  pipeline::add_simulate(app);
  pipeline::add_train(app);
  pipeline::add_sample(app);
  pipeline::add_evaluate(app);
  pipeline::add_run(app);
  pipeline::add_submit(app);
  pipeline::add_train_ranks(app);
  pipeline::add_inspect(app);
  pipeline::add_export_well(app);
  pipeline::add_export(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return static_cast<int>(ExitCode::usage);
  } catch (const Error& e) {
    log::error(e.what());
    if (mpi::size() > 1) mpi::abort(static_cast<int>(e.code()));
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    // Library errors (LibTorch's among them) may append a backtrace: the first line is the message.
    std::string message = e.what();
    log::error(message.substr(0, message.find('\n')));
    if (mpi::size() > 1) mpi::abort(static_cast<int>(ExitCode::runtime));
    return static_cast<int>(ExitCode::runtime);
  }
  return 0;
}
