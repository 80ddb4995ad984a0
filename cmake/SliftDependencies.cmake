# Imported targets for the dependencies that ship no CMake config on Debian 12.

# FFTW (double precision) and its OpenMP threads library, through pkg-config.
pkg_check_modules(SLIFT_FFTW REQUIRED IMPORTED_TARGET fftw3)
find_library(SLIFT_FFTW_OMP_LIBRARY NAMES fftw3_omp REQUIRED HINTS ${SLIFT_FFTW_LIBRARY_DIRS})
add_library(slift::fftw INTERFACE IMPORTED)
target_link_libraries(slift::fftw INTERFACE ${SLIFT_FFTW_OMP_LIBRARY} PkgConfig::SLIFT_FFTW OpenMP::OpenMP_CXX)

# HDF5: the OpenMPI build (Debian's libhdf5-openmpi-dev).
pkg_check_modules(SLIFT_HDF5 REQUIRED IMPORTED_TARGET hdf5-openmpi)
add_library(slift::hdf5 INTERFACE IMPORTED)
target_link_libraries(slift::hdf5 INTERFACE PkgConfig::SLIFT_HDF5 MPI::MPI_C)
# The C API only: keep OpenMPI's deprecated C++ bindings out of every translation unit.
target_compile_definitions(slift::hdf5 INTERFACE OMPI_SKIP_MPICXX MPICH_SKIP_MPICXX)

# Random123 is header-only.
find_path(SLIFT_RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED)
add_library(slift::random123 INTERFACE IMPORTED)
target_include_directories(slift::random123 INTERFACE ${SLIFT_RANDOM123_INCLUDE_DIR})
