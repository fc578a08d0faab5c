#pragma once
// Runs the real `bfm` binary as a child process for e2e tests, with its own environment and its
// output captured to a file (shown when a test fails).

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace bfm::test {

class child_process {
public:
    child_process(std::vector<std::string> argv, std::map<std::string, std::string> env);
    ~child_process();  // SIGKILL if still running
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    // Sends `signo` and waits up to `timeout` for the exit; returns the exit code, or -1 when it
    // did not exit in time (then it is killed), or 128+N when a signal N ended it.
    int stop(int signo, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Waits for the process to exit by itself.
    int wait(std::chrono::milliseconds timeout);
    bool running();
    pid_t pid() const { return pid_; }
    std::string output() const;  // stdout and stderr so far

private:
    pid_t pid_ = -1;
    int exit_code_ = -1;
    std::string log_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port();

}  // namespace bfm::test
