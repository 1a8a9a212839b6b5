# The libraries: dnn (the course's functions and the trainer) and dnn_io (HDF5 files).
# Each folder's sources are compiled once, position-independent, into an OBJECT library;
# a STATIC and a SHARED library are made from the same objects (docs/DESIGN.md, "The
# libraries", says why). In the tree, `dnn` and `dnn_io` are the static ones; the shared
# ones are `dnn_shared` and `dnn_io_shared`, with the same file names (libdnn.so).
# Exported (cmake/install.cmake) as dnn::dnn and dnn::dnn_io (shared) and
# dnn::dnn_static and dnn::dnn_io_static.

# Before 1.0 the ABI may change with the minor version, so the soname carries it:
# libdnn.so.0.1; from 1.0 on, the major version alone.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(DNN_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
else()
  set(DNN_SOVERSION ${PROJECT_VERSION_MAJOR})
endif()

# No HDF5 and no MPI here: kernels < core < exact < train, the one-process reducer, and
# from io/ only data_synthetic.c, which holds dnn_dataset_free (the trainer's data type)
# and reads no file.
# The vector kernels exist on x86-64 only; elsewhere (an aarch64 cross build,
# cmake/aarch64-linux-gnu.cmake) the fixed-order GEMM runs its generic variant and no
# special kernel suits a layer (kernels_absent.c).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(DNN_KERNEL_SOURCES src/kernels/gemm_avx2.c src/kernels/gemm_avx512.c
    src/kernels/kernels_avx512.c src/kernels/kernels_avx512_f32.c)
else()
  set(DNN_KERNEL_SOURCES src/kernels/kernels_absent.c)
endif()
set(DNN_CORE_SOURCES
  src/kernels/gemm_dispatch.c
  src/kernels/gemm_generic.c
  ${DNN_KERNEL_SOURCES}
  src/core/counter_rng.c
  src/core/dropout.c
  src/core/forward_f32_checked.c
  src/core/layers.c
  src/core/layers_f32.c
  src/core/model.c
  src/core/model_f32.c
  src/core/params.c
  src/core/params_f32.c
  src/core/rng.c
  src/core/shard.c
  src/core/status.c
  src/exact/exact_sum.c
  src/train/trainer.c
  src/train/step.c
  src/train/gradients.c
  src/train/batches.c
  src/train/combine.c
  src/train/update.c
  src/train/evaluate.c
  src/train/split.c
  src/train/step_ref.c
  src/train/standardize.c
  src/comm/reducer_local.c
  src/io/data_synthetic.c
)
# The files: HDF5 data, models, checkpoints, and the safe replacement of files (the
# data fingerprint of checkpoint.c sums with OpenMP threads).
set(DNN_IO_SOURCES
  src/io/atomic_file.c
  src/io/checkpoint.c
  src/io/data_hdf5.c
  src/io/file_checks.c
  src/io/file_seal.c
  src/io/h5_util.c
  src/io/model_io.c
)

# name: the static target; its shared twin is ${name}_shared. The rest of the arguments:
# PRIVATE_LIBS, what the objects compile and link with (usage requirements of OpenMP and
# HDF5 apply to the compile too), and PUBLIC_LIB, the other dnn library it calls.
function(dnn_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "PUBLIC_LIB" "SOURCES;PRIVATE_INCLUDES;PRIVATE_LIBS")
  add_library(${name}_objects OBJECT ${arg_SOURCES})
  # -fPIC for the shared library. Without -fno-semantic-interposition GCC would stop
  # inlining a file's own global functions into each other (another library could
  # replace them at load time); we never do that, so the code is what the static build
  # had (docs/DESIGN.md).
  set_target_properties(${name}_objects PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${name}_objects PRIVATE -fno-semantic-interposition)
  target_include_directories(${name}_objects
    PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src ${arg_PRIVATE_INCLUDES})
  target_link_libraries(${name}_objects PRIVATE ${arg_PRIVATE_LIBS})

  add_library(${name} STATIC $<TARGET_OBJECTS:${name}_objects>)
  add_library(${name}_shared SHARED $<TARGET_OBJECTS:${name}_objects>)
  set_target_properties(${name} PROPERTIES OUTPUT_NAME ${name} EXPORT_NAME ${name}_static)
  set_target_properties(${name}_shared PROPERTIES OUTPUT_NAME ${name} EXPORT_NAME ${name}
    VERSION ${PROJECT_VERSION} SOVERSION ${DNN_SOVERSION})
  foreach(target ${name} ${name}_shared)
    target_include_directories(${target} PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    # The public headers need none of these: a static library passes them on to the
    # link line only, a shared one keeps them to itself (its DT_NEEDED).
    target_link_libraries(${target} PRIVATE ${arg_PRIVATE_LIBS})
  endforeach()
  if(arg_PUBLIC_LIB)
    target_link_libraries(${name} PUBLIC ${arg_PUBLIC_LIB})
    target_link_libraries(${name}_shared PUBLIC ${arg_PUBLIC_LIB}_shared)
  endif()
endfunction()

dnn_library(dnn SOURCES ${DNN_CORE_SOURCES}
  PRIVATE_INCLUDES ${CBLAS_INCLUDE_DIR}
  PRIVATE_LIBS BLAS::BLAS OpenMP::OpenMP_C m)
dnn_library(dnn_io SOURCES ${DNN_IO_SOURCES} PUBLIC_LIB dnn
  PRIVATE_LIBS HDF5::HDF5 OpenMP::OpenMP_C)
