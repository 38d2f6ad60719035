// Torch-heavy tests share libtorch's thread pool on a 2-core machine; classes opt in to
// parallelism explicitly rather than racing each other.
[assembly: DoNotParallelize]
