# Cross build for aarch64 with Debian's cross compiler (crossbuild-essential-arm64), run
# under qemu-aarch64 (launch/cross-aarch64). Debian's arm64 libraries that can sit beside
# the amd64 ones (multiarch: OpenBLAS, libzip, Check, libc) come from
# /usr/lib/aarch64-linux-gnu; HDF5's and Open MPI's development packages cannot (their
# arm64 and amd64 versions conflict), so launch/cross-aarch64 unpacks them into
# DNN_AARCH64_SYSROOT without installing them.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)

if(NOT DEFINED DNN_AARCH64_SYSROOT)
  set(DNN_AARCH64_SYSROOT "$ENV{DNN_AARCH64_SYSROOT}")
endif()
set(_sys "${DNN_AARCH64_SYSROOT}")
set(_lib "${_sys}/usr/lib/aarch64-linux-gnu")

# Search the sysroot and the host's multiarch arm64 directories; programs from the host.
set(CMAKE_FIND_ROOT_PATH "${_sys}" "/")
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# pkg-config (Check, libzip): the arm64 .pc files only.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Open MPI without its (amd64) compiler wrapper.
set(MPI_C_COMPILER "MPI_C_COMPILER-NOTFOUND" CACHE FILEPATH "" FORCE)
set(MPI_C_HEADER_DIR "${_lib}/openmpi/include" CACHE PATH "" FORCE)
set(MPI_C_LIB_NAMES mpi CACHE STRING "" FORCE)
set(MPI_mpi_LIBRARY "${_lib}/openmpi/lib/libmpi.so" CACHE FILEPATH "" FORCE)
set(MPI_C_ADDITIONAL_INCLUDE_DIRS "" CACHE STRING "" FORCE)
set(MPI_SKIP_GUESSING TRUE CACHE BOOL "" FORCE)
set(MPI_C_VERSION "3.1" CACHE STRING "" FORCE) # Open MPI 4.1, MPI 3.1

# HDF5 without its (amd64) h5cc wrapper.
set(HDF5_C_COMPILER_EXECUTABLE "" CACHE FILEPATH "" FORCE)
set(HDF5_NO_FIND_PACKAGE_CONFIG_FILE TRUE)
set(HDF5_ROOT "${_lib}/hdf5/serial")
set(HDF5_INCLUDE_DIRS "${_sys}/usr/include/hdf5/serial")

# The linker finds the libraries the sysroot's libraries need (libmpi needs libopen-rte).
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-Wl,-rpath-link,${_lib} -Wl,-rpath-link,${_lib}/openmpi/lib -Wl,-rpath-link,/usr/lib/aarch64-linux-gnu")
