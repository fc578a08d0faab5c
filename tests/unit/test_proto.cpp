// The generated protobuf/gRPC code is built and linked: messages keep upstream's field numbers.

#include <gtest/gtest.h>

#include "migration.grpc.pb.h"  // the generated service header compiles
#include "migration.pb.h"

TEST(Proto, HealthResponseRoundTripsWithUpstreamFieldNumbers) {
    migration::HealthResponse response;
    response.set_status("healthy");
    (*response.mutable_checks())["state"] = "ok";
    const std::string wire = response.SerializeAsString();
    // Field 1 (status), wire type 2: tag byte 0x0A, then the length.
    ASSERT_GE(wire.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(wire[0]), 0x0A);
    migration::HealthResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire));
    EXPECT_EQ(parsed.status(), "healthy");
    EXPECT_EQ(parsed.checks().at("state"), "ok");
}

TEST(Proto, ServiceDescriptorNamesTheUpstreamService) {
    const auto* service =
        migration::HealthRequest::descriptor()->file()->FindServiceByName("MigrationService");
    ASSERT_NE(service, nullptr);
    EXPECT_EQ(service->full_name(), "migration.MigrationService");
    EXPECT_NE(service->FindMethodByName("Health"), nullptr);
}
