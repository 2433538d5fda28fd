// protobuf-java ships as an automatic module, which jlink refuses; this descriptor makes it an explicit one.
module com.google.protobuf {
    requires java.logging;
    requires jdk.unsupported;
    exports com.google.protobuf;
    exports com.google.protobuf.compiler;
}
