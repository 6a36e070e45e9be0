// Package sched reads which shard of a job this process is, from the
// "K/N" a user gives or from the environment that the schedulers people
// already run set for each task of an array job:
//
//   - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX (the shard count is
//     the Job's completions, which the pod does not see: it must be given)
//   - AWS Batch array jobs: AWS_BATCH_JOB_ARRAY_INDEX (likewise)
//   - Slurm job arrays: SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and
//     SLURM_ARRAY_TASK_COUNT; the shard is ID - MIN, and stepped or listed
//     arrays (whose IDs are not MIN..MIN+COUNT-1) are refused
//   - GNU parallel: PARALLEL_SEQ, which counts jobs from 1 (the count must
//     be given)
//
// The first of these found decides. The package only reads: it runs no
// coordinator, and shards never talk to each other.
package sched

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrShard reports a shard that cannot be told: a malformed K/N, no
// scheduler in the environment, or values that do not fit together.
var ErrShard = errors.New("sched: shard")

// An Assignment is shard K (from 0) of N, and where that was read.
type Assignment struct {
	K, N   int
	Source string // "flag", or the environment variable that gave K
}

// Parse reads the assignment spec: "K/N", or "auto" to read it from the
// environment through getenv (os.LookupEnv). n is the shard count given
// apart (tarx --shards), 0 if none; it must agree with what the spec or
// the environment says.
func Parse(spec string, n int, getenv func(string) (string, bool)) (Assignment, error) {
	if n < 0 {
		return Assignment{}, fmt.Errorf("%w: %d shards", ErrShard, n)
	}
	if spec != "auto" {
		ks, ns, ok := strings.Cut(spec, "/")
		k, kerr := strconv.Atoi(ks)
		m, nerr := strconv.Atoi(ns)
		if !ok || kerr != nil || nerr != nil {
			return Assignment{}, fmt.Errorf("%w: %q: want K/N (such as 0/8) or auto", ErrShard, spec)
		}
		if n != 0 && m != n {
			return Assignment{}, fmt.Errorf("%w: %q says %d shards, --shards %d", ErrShard, spec, m, n)
		}
		return check(Assignment{K: k, N: m, Source: "flag"})
	}
	for _, s := range sources {
		v, ok := getenv(s.index)
		if !ok {
			continue
		}
		a, err := s.read(v, n, getenv)
		if err != nil {
			return Assignment{}, fmt.Errorf("%w: %s", ErrShard, err)
		}
		a.Source = s.index
		return check(a)
	}
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.index
	}
	return Assignment{}, fmt.Errorf("%w: auto: none of %s is set (give K/N)", ErrShard, strings.Join(names, ", "))
}

// A source is one scheduler's way of telling a task its index.
type source struct {
	index string // the variable that names the task
	read  func(v string, n int, getenv func(string) (string, bool)) (Assignment, error)
}

var sources = []source{
	{"JOB_COMPLETION_INDEX", givenCount("JOB_COMPLETION_INDEX", 0, "the Job's completions")},
	{"AWS_BATCH_JOB_ARRAY_INDEX", givenCount("AWS_BATCH_JOB_ARRAY_INDEX", 0, "the array size")},
	{"SLURM_ARRAY_TASK_ID", slurm},
	{"PARALLEL_SEQ", givenCount("PARALLEL_SEQ", 1, "the number of jobs")},
}

// givenCount reads an index variable counting from base, with the shard
// count given apart (what is the count in the scheduler's words).
func givenCount(name string, base int, what string) func(string, int, func(string) (string, bool)) (Assignment, error) {
	return func(v string, n int, _ func(string) (string, bool)) (Assignment, error) {
		i, err := atoi(name, v)
		if err != nil {
			return Assignment{}, err
		}
		if n == 0 {
			return Assignment{}, fmt.Errorf("%s is set but the shard count is not: give --shards N (%s)", name, what)
		}
		return Assignment{K: i - base, N: n}, nil
	}
}

// slurm reads a Slurm array task: K = ID - MIN, N = COUNT, refusing arrays
// with steps or lists, where IDs are not consecutive.
func slurm(v string, n int, getenv func(string) (string, bool)) (Assignment, error) {
	id, err := atoi("SLURM_ARRAY_TASK_ID", v)
	if err != nil {
		return Assignment{}, err
	}
	get := func(name string) (int, error) {
		v, ok := getenv(name)
		if !ok {
			return 0, fmt.Errorf("SLURM_ARRAY_TASK_ID is set but %s is not", name)
		}
		return atoi(name, v)
	}
	lo, err := get("SLURM_ARRAY_TASK_MIN")
	if err != nil {
		return Assignment{}, err
	}
	count, err := get("SLURM_ARRAY_TASK_COUNT")
	if err != nil {
		return Assignment{}, err
	}
	if step, ok := getenv("SLURM_ARRAY_TASK_STEP"); ok && step != "1" {
		return Assignment{}, fmt.Errorf("the Slurm array has step %s: shards need consecutive task IDs (use --array=MIN-MAX)", step)
	}
	if hi, err := get("SLURM_ARRAY_TASK_MAX"); err == nil && hi-lo+1 != count {
		return Assignment{}, fmt.Errorf("the Slurm array %d-%d has %d tasks, not %d: shards need consecutive task IDs (use --array=MIN-MAX)", lo, hi, count, hi-lo+1)
	}
	if n != 0 && n != count {
		return Assignment{}, fmt.Errorf("SLURM_ARRAY_TASK_COUNT is %d but --shards is %d", count, n)
	}
	return Assignment{K: id - lo, N: count}, nil
}

func atoi(name, v string) (int, error) {
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a number", name, v)
	}
	return i, nil
}

// check refuses assignments outside 0 <= K < N.
func check(a Assignment) (Assignment, error) {
	switch {
	case a.N < 1:
		return Assignment{}, fmt.Errorf("%w: %d shards: need at least 1", ErrShard, a.N)
	case a.K < 0 || a.K >= a.N:
		return Assignment{}, fmt.Errorf("%w: shard %d of %d: shards count from 0 to %d", ErrShard, a.K, a.N, a.N-1)
	}
	return a, nil
}
