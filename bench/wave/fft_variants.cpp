// What faster FFTs could give the wave step (issue: solver speed): the step's transform pair (one
// r2c + one c2r of an n x n field) in double and in float, with FFTW_ESTIMATE plans (the solver's)
// and FFTW_MEASURE plans, one field per plan and B fields per plan (FFTW's advanced interface);
// and a complex pair (c2c forward + backward) of an n x n field that carries two real fields, one
// in its real and one in its imaginary part, per real field. Microseconds per field pair, best of
// 7 bursts; one thread.
//
//   build/release/bench/wave/fft_variants
#include <fftw3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

constexpr int kBatch = 8;   // fields per batched plan
constexpr int kBursts = 7;  // the best burst is kept: robust to other load on the machine

template <class F>
double best_us(F&& pair, int reps) {
  double best = 1e300;
  for (int b = 0; b < kBursts; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) pair();
    best = std::min(best, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps);
  }
  return best;
}

// One precision's timings. fftw_* and fftwf_* differ only in their prefix, so one set of traits
// serves both, its names made by FFTW's own mangling macros (as fftw3.h declares its API).
#define SLIFT_FFTW_TRAITS(Name, X, R)                                                                                \
  struct Name {                                                                                                      \
    using Real = R;                                                                                                  \
    using Complex = X(complex);                                                                                      \
    using Plan = X(plan);                                                                                            \
    static Real* real(size_t n) { return X(alloc_real)(n); }                                                         \
    static Complex* complex(size_t n) { return X(alloc_complex)(n); }                                                \
    static Plan r2c(int howmany, int n, Real* x, Complex* X_, unsigned flag) {                                       \
      const int dims[2] = {n, n};                                                                                    \
      return X(plan_many_dft_r2c)(2, dims, howmany, x, nullptr, 1, n * n, X_, nullptr, 1, n * (n / 2 + 1), flag);   \
    }                                                                                                                \
    static Plan c2r(int howmany, int n, Complex* X_, Real* x, unsigned flag) {                                       \
      const int dims[2] = {n, n};                                                                                    \
      return X(plan_many_dft_c2r)(2, dims, howmany, X_, nullptr, 1, n * (n / 2 + 1), x, nullptr, 1, n * n, flag);   \
    }                                                                                                                \
    static Plan c2c(int n, Complex* X_, int sign, unsigned flag) { return X(plan_dft_2d)(n, n, X_, X_, sign, flag); } \
    static void execute(Plan p) { X(execute)(p); }                                                                   \
    static void destroy(Plan p) { X(destroy_plan)(p); }                                                              \
    static void free(void* p) { X(free)(p); }                                                                        \
  };
SLIFT_FFTW_TRAITS(Double, FFTW_MANGLE_DOUBLE, double)
SLIFT_FFTW_TRAITS(Float, FFTW_MANGLE_FLOAT, float)
#undef SLIFT_FFTW_TRAITS

// Microseconds per field for a pair with `howmany` fields per plan.
template <class P>
double pair_us(int n, int howmany, unsigned flag) {
  const size_t real = size_t(n) * n * howmany, spectrum = size_t(n) * (n / 2 + 1) * howmany;
  typename P::Real* x = P::real(real);
  typename P::Complex* X = P::complex(spectrum);
  const typename P::Plan forward = P::r2c(howmany, n, x, X, flag), backward = P::c2r(howmany, n, X, x, flag);
  for (size_t i = 0; i < real; ++i) x[i] = typename P::Real(0.1 * double(i % 7));  // planning may overwrite
  const int reps = std::max(1, (n == 64 ? 400 : 100) / howmany);
  const double us = best_us([&] { P::execute(forward), P::execute(backward); }, reps) / howmany;
  P::destroy(forward), P::destroy(backward), P::free(x), P::free(X);
  return us;
}

// Microseconds per real field for a complex pair carrying two real fields.
template <class P>
double complex_pair_us(int n, unsigned flag) {
  typename P::Complex* X = P::complex(size_t(n) * n);
  const typename P::Plan forward = P::c2c(n, X, FFTW_FORWARD, flag), backward = P::c2c(n, X, FFTW_BACKWARD, flag);
  for (int i = 0; i < n * n; ++i) X[i][0] = typename P::Real(0.1 * (i % 7)), X[i][1] = typename P::Real(0.1 * (i % 5));
  const double us = best_us([&] { P::execute(forward), P::execute(backward); }, n == 64 ? 400 : 100) / 2;
  P::destroy(forward), P::destroy(backward), P::free(X);
  return us;
}

}  // namespace

int main() {
  std::printf("FFT pair (r2c + c2r) per n x n field, us, one thread, best of %d bursts\n", kBursts);
  std::printf("  grid  plans     double  double x%d   float  float x%d   double c2c/2  float c2c/2   MEASURE/ESTIMATE (double)\n",
              kBatch, kBatch);
  for (int n : {64, 128}) {
    double estimate = 0;
    for (unsigned flag : {unsigned(FFTW_ESTIMATE), unsigned(FFTW_MEASURE)}) {
      const double d1 = pair_us<Double>(n, 1, flag), dB = pair_us<Double>(n, kBatch, flag);
      const double f1 = pair_us<Float>(n, 1, flag), fB = pair_us<Float>(n, kBatch, flag);
      if (flag == FFTW_ESTIMATE) estimate = d1;
      const double dc = complex_pair_us<Double>(n, flag), fc = complex_pair_us<Float>(n, flag);
      std::printf(" %4d^2  %-8s %7.2f  %9.2f  %7.2f  %8.2f  %12.2f  %11.2f", n, flag == FFTW_ESTIMATE ? "ESTIMATE" : "MEASURE",
                  d1, dB, f1, fB, dc, fc);
      if (flag == FFTW_MEASURE) std::printf("   %.2fx faster", estimate / d1);
      std::printf("\n");
    }
  }
}
