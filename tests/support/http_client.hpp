#pragma once
// A blocking HTTP/1.1 client for e2e tests (one connection per request).

#include <map>
#include <string>

namespace bfm::test {

struct http_reply {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
};

// Throws on connection errors. `token` empty = no Authorization header.
http_reply http_request(unsigned short port, const std::string& method, const std::string& target,
                        const std::string& body = {}, const std::string& token = {},
                        const std::map<std::string, std::string>& headers = {});

}  // namespace bfm::test
