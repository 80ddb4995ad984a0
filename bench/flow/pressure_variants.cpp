// pressure_variants N [REPS]: the flow's pressure solve against the other solvers at hand, on the
// solver's own matrix. The medium is the Matérn field of configs/flow.yaml (trajectory 0) on an
// N x N quarter five-spot; the matrix is the one of pressure step 31 of 62 (mid-trajectory: the
// front is inside the domain), the right-hand side A p with p the solver's pressure.
//   - Eigen's SimplicialLDLT, AMD analysis done once (the solver's): numeric factorisation + solve;
//   - LAPACK's banded Cholesky (dpbtrf + dpbtrs, bandwidth N, OpenBLAS);
//   - hypre's structured multigrid as CG preconditioners (PFMG, SMG), to a relative residual of
//     1e-11, started from zero and warm-started from the previous step's pressure; set-up included
//     (the matrix changes every step).
// Prints one line per solver: best time of REPS, iterations, max |p - p_ldlt| / max |p_ldlt|.
#include <HYPRE.h>
#include <HYPRE_struct_ls.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "bench/flow/five_spot.hpp"
#include "simulators/flow/solver.hpp"

using namespace slift::sim::flow;
using Vec = std::vector<double>;

extern "C" void dpbtrf_(const char*, const int*, const int*, double*, const int*, int*);
extern "C" void dpbtrs_(const char*, const int*, const int*, const int*, const double*, const int*, double*,
                        const int*, int*);

namespace {

double best_seconds(int reps, const std::function<void()>& f) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

double max_rel_diff(const Vec& p, const Vec& ref) {
  double d = 0, m = 0;
  for (size_t c = 0; c < p.size(); ++c) d = std::max(d, std::abs(p[c] - ref[c])), m = std::max(m, std::abs(ref[c]));
  return d / m;
}

// The 5-point stencil (centre, -x, +x, -y, +y in hypre's index (j, i)) of cell c = i * n + j.
Vec stencil(const Eigen::SparseMatrix<double>& a, int n) {
  Vec v(5 * size_t(n) * n, 0.0);
  for (int c = 0; c < n * n; ++c)
    for (Eigen::SparseMatrix<double>::InnerIterator it(a, c); it; ++it) {
      const int r = static_cast<int>(it.row());
      if (r == c) v[5 * c] = it.value();
      else if (r == c + 1) v[5 * c + 2] = it.value(), v[5 * r + 1] = it.value();  // j + 1
      else v[5 * c + 4] = it.value(), v[5 * r + 3] = it.value();                   // i + 1
    }
  return v;
}

// hypre's PCG with a structured multigrid preconditioner (PFMG or SMG); returns the iterations.
int hypre_pcg(bool pfmg, int n, const Vec& st, const Vec& b, Vec& x) {
  HYPRE_StructGrid grid;
  int lo[2] = {0, 0}, hi[2] = {n - 1, n - 1}, entries[5] = {0, 1, 2, 3, 4};
  int offsets[5][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  HYPRE_StructGridCreate(MPI_COMM_SELF, 2, &grid);
  HYPRE_StructGridSetExtents(grid, lo, hi);
  HYPRE_StructGridAssemble(grid);
  HYPRE_StructStencil stencil5;
  HYPRE_StructStencilCreate(2, 5, &stencil5);
  for (int e = 0; e < 5; ++e) HYPRE_StructStencilSetElement(stencil5, e, offsets[e]);
  HYPRE_StructMatrix A;
  HYPRE_StructMatrixCreate(MPI_COMM_SELF, grid, stencil5, &A);
  HYPRE_StructMatrixInitialize(A);
  HYPRE_StructMatrixSetBoxValues(A, lo, hi, 5, entries, const_cast<double*>(st.data()));
  HYPRE_StructMatrixAssemble(A);
  HYPRE_StructVector B, X;
  for (auto [v, data] : {std::pair{&B, b.data()}, std::pair{&X, static_cast<const double*>(x.data())}}) {
    HYPRE_StructVectorCreate(MPI_COMM_SELF, grid, v);
    HYPRE_StructVectorInitialize(*v);
    HYPRE_StructVectorSetBoxValues(*v, lo, hi, const_cast<double*>(data));
    HYPRE_StructVectorAssemble(*v);
  }
  HYPRE_StructSolver pcg, pre;
  HYPRE_StructPCGCreate(MPI_COMM_SELF, &pcg);
  HYPRE_StructPCGSetTol(pcg, 1e-11);
  HYPRE_StructPCGSetTwoNorm(pcg, 1);
  HYPRE_StructPCGSetMaxIter(pcg, 500);
  if (pfmg) {
    HYPRE_StructPFMGCreate(MPI_COMM_SELF, &pre);
    HYPRE_StructPFMGSetMaxIter(pre, 1), HYPRE_StructPFMGSetTol(pre, 0), HYPRE_StructPFMGSetZeroGuess(pre);
    HYPRE_StructPFMGSetRelaxType(pre, 2), HYPRE_StructPFMGSetNumPreRelax(pre, 1), HYPRE_StructPFMGSetNumPostRelax(pre, 1);
    HYPRE_StructPCGSetPrecond(pcg, HYPRE_StructPFMGSolve, HYPRE_StructPFMGSetup, pre);
  } else {
    HYPRE_StructSMGCreate(MPI_COMM_SELF, &pre);
    HYPRE_StructSMGSetMaxIter(pre, 1), HYPRE_StructSMGSetTol(pre, 0), HYPRE_StructSMGSetZeroGuess(pre);
    HYPRE_StructSMGSetNumPreRelax(pre, 1), HYPRE_StructSMGSetNumPostRelax(pre, 1);
    HYPRE_StructPCGSetPrecond(pcg, HYPRE_StructSMGSolve, HYPRE_StructSMGSetup, pre);
  }
  HYPRE_StructPCGSetup(pcg, A, B, X);
  HYPRE_StructPCGSolve(pcg, A, B, X);
  int its = 0;
  HYPRE_StructPCGGetNumIterations(pcg, &its);
  HYPRE_StructVectorGetBoxValues(X, lo, hi, x.data());
  HYPRE_StructPCGDestroy(pcg);
  pfmg ? HYPRE_StructPFMGDestroy(pre) : HYPRE_StructSMGDestroy(pre);
  HYPRE_StructMatrixDestroy(A), HYPRE_StructVectorDestroy(B), HYPRE_StructVectorDestroy(X);
  HYPRE_StructStencilDestroy(stencil5), HYPRE_StructGridDestroy(grid);
  return its;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pressure_variants N [REPS]\n");
    return 2;
  }
  const int n = std::atoi(argv[1]), N = n * n, reps = argc > 2 ? std::atoi(argv[2]) : 20;
  MPI_Init(&argc, &argv);
  HYPRE_Init();
  // The medium and state of bench/flow/flow_bench.cpp's first trajectory, at pressure step 31.
  FiveSpot five_spot(n);
  Solver solver(five_spot.problem);
  const Vec& k = five_spot.permeability(0);
  solver.setup(k, k);
  for (int s = 0; s < 30; ++s) solver.step(1.0 / 62);
  const Vec previous = solver.pressure();
  solver.step(1.0 / 62);
  const Vec ref = solver.pressure();
  const Eigen::SparseMatrix<double>& a = solver.tpfa().matrix();
  Eigen::VectorXd bv = a.selfadjointView<Eigen::Lower>() * Eigen::Map<const Eigen::VectorXd>(ref.data(), N);
  const Vec b(bv.data(), bv.data() + N);
  std::printf("pressure solve, %d^2 (%d unknowns), step 31 of 62, best of %d, one thread\n", n, N, reps);
  auto report = [&](const char* name, double t, int its, const Vec& x, double base) {
    std::printf("  %-34s %8.3f ms  %5.2fx the solver's time", name, t * 1e3, base > 0 ? t / base : 1.0);
    if (its >= 0) std::printf("  %3d iterations", its);
    std::printf("  max rel diff %.1e\n", max_rel_diff(x, ref));
  };
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>, Eigen::Lower> ldlt;
  ldlt.analyzePattern(a);
  Vec x(N);
  const double t_ldlt = best_seconds(reps, [&] {
    ldlt.factorize(a);
    Eigen::VectorXd xv = ldlt.solve(bv);
    x.assign(xv.data(), xv.data() + N);
  });
  report("Eigen SimplicialLDLT (the solver's)", t_ldlt, -1, x, 0);
  Vec band((n + 1) * size_t(N), 0.0);  // LAPACK lower band storage: band[(r - c) + c (n + 1)]
  for (int c = 0; c < N; ++c)
    for (Eigen::SparseMatrix<double>::InnerIterator it(a, c); it; ++it) band[(it.row() - c) + c * size_t(n + 1)] = it.value();
  const double t_band = best_seconds(reps, [&] {
    Vec w = band;
    x = b;
    int info = 0, ldab = n + 1, one = 1;
    dpbtrf_("L", &N, &n, w.data(), &ldab, &info);
    dpbtrs_("L", &N, &n, &one, w.data(), &ldab, x.data(), &N, &info);
  });
  report("LAPACK banded Cholesky (OpenBLAS)", t_band, -1, x, t_ldlt);
  const Vec st = stencil(a, n);
  for (bool pfmg : {true, false})
    for (bool warm : {false, true}) {
      int its = 0;
      const double t = best_seconds(reps, [&] {
        x = warm ? previous : Vec(N, 0.0);
        its = hypre_pcg(pfmg, n, st, b, x);
      });
      const std::string name = std::string("hypre ") + (pfmg ? "PFMG" : "SMG") + "-CG, " + (warm ? "warm start" : "zero start");
      report(name.c_str(), t, its, x, t_ldlt);
    }
  HYPRE_Finalize();
  MPI_Finalize();
  return 0;
}
