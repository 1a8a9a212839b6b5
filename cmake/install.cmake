# cmake --install build --prefix P: the libraries (static and shared), the public
# headers, the programs, a CMake package (find_package(dnn)) and pkg-config files.
include(CMakePackageConfigHelpers)

install(TARGETS dnn dnn_shared dnn_io dnn_io_shared EXPORT dnnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The public headers include only each other (ctest tree_layers checks it).
install(FILES include/dnn.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/dnn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
# The programs link the static libraries: they need no RPATH to find ours.
install(TARGETS dnn-train dnn-predict dnn-convert RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(DNN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/dnn)
install(EXPORT dnnTargets NAMESPACE dnn:: DESTINATION ${DNN_CMAKE_DIR})
configure_package_config_file(cmake/dnnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dnnConfig.cmake INSTALL_DESTINATION ${DNN_CMAKE_DIR})
# Before 1.0 a new minor version may change the API: only the same minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dnnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dnnConfig.cmake ${PROJECT_BINARY_DIR}/dnnConfigVersion.cmake
  DESTINATION ${DNN_CMAKE_DIR})

# pkg-config: dnn.pc (the course's functions and the trainer) and dnn_io.pc (adds the
# HDF5 files). The prefix is found from the .pc file's own place (${pcfiledir}), so
# cmake --install --prefix P gives files that are right under P.
file(RELATIVE_PATH DNN_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" DNN_PC_TO_PREFIX "${DNN_PC_TO_PREFIX}")
foreach(pc dnn dnn_io)
  configure_file(cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
