// bfm_grpc_probe: what grpcurl would do for the e2e tests, from the stock protos of Debian's
// grpc-proto package (no grpcurl or grpc_cli is packaged; see docs/decisions.md). It knows
// nothing of bfm's own proto: everything it prints about bfm comes from server reflection.
//
//   bfm_grpc_probe list HOST:PORT            services, one per line (reflection list_services)
//   bfm_grpc_probe describe HOST:PORT NAME   "service NAME" and "rpc NAME.Method" lines, from the
//                                            file descriptor reflection serves for NAME
//   bfm_grpc_probe health HOST:PORT [NAME]   grpc.health.v1.Health/Check: SERVING, NOT_SERVING...
// Exit code 0 on success, 1 when the call failed (status printed on stderr), 2 for usage.

#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace reflection = grpc::reflection::v1alpha;

namespace {

std::shared_ptr<grpc::Channel> connect(const std::string& address) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

void set_deadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

int fail(const grpc::Status& status) {
    std::cerr << "error: " << status.error_code() << " " << status.error_message() << "\n";
    return 1;
}

// One request on the reflection stream, one response back.
int ask(const std::string& address, const reflection::ServerReflectionRequest& request,
        reflection::ServerReflectionResponse& response) {
    auto stub = reflection::ServerReflection::NewStub(connect(address));
    grpc::ClientContext context;
    set_deadline(context);
    auto stream = stub->ServerReflectionInfo(&context);
    if (!stream->Write(request) || !stream->WritesDone()) return fail(stream->Finish());
    const bool got = stream->Read(&response);
    grpc::Status status = stream->Finish();
    if (!status.ok()) return fail(status);
    if (!got) {
        std::cerr << "error: no reflection response\n";
        return 1;
    }
    if (response.has_error_response()) {
        std::cerr << "error: " << response.error_response().error_code() << " "
                  << response.error_response().error_message() << "\n";
        return 1;
    }
    return 0;
}

int list(const std::string& address) {
    reflection::ServerReflectionRequest request;
    request.set_list_services("");
    reflection::ServerReflectionResponse response;
    if (int rc = ask(address, request, response)) return rc;
    for (const auto& service : response.list_services_response().service()) {
        std::cout << service.name() << "\n";
    }
    return 0;
}

int describe(const std::string& address, const std::string& name) {
    reflection::ServerReflectionRequest request;
    request.set_file_containing_symbol(name);
    reflection::ServerReflectionResponse response;
    if (int rc = ask(address, request, response)) return rc;
    for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
        google::protobuf::FileDescriptorProto file;
        if (!file.ParseFromString(bytes)) {
            std::cerr << "error: unparsable file descriptor\n";
            return 1;
        }
        for (const auto& service : file.service()) {
            const std::string full =
                file.package().empty() ? service.name() : file.package() + "." + service.name();
            if (full != name) continue;
            std::cout << "service " << full << "\n";
            for (const auto& method : service.method()) {
                std::cout << "rpc " << full << "." << method.name()
                          << (method.server_streaming() ? " stream" : "") << "\n";
            }
        }
    }
    return 0;
}

int health(const std::string& address, const std::string& service) {
    auto stub = grpc::health::v1::Health::NewStub(connect(address));
    grpc::ClientContext context;
    set_deadline(context);
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (!status.ok()) return fail(status);
    std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
              << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    if (argc == 3 && command == "list") return list(argv[2]);
    if (argc == 4 && command == "describe") return describe(argv[2], argv[3]);
    if ((argc == 3 || argc == 4) && command == "health")
        return health(argv[2], argc == 4 ? argv[3] : "");
    std::fprintf(stderr,
                 "usage: bfm_grpc_probe list HOST:PORT | describe HOST:PORT SERVICE | "
                 "health HOST:PORT [SERVICE]\n");
    return 2;
}
