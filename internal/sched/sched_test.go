package sched

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		spec string
		n    int
		env  map[string]string
		want Assignment
		err  string // part of the error, if one is wanted
	}{
		{spec: "0/1", want: Assignment{0, 1, "flag"}},
		{spec: "6/7", want: Assignment{6, 7, "flag"}},
		{spec: "2/3", n: 3, want: Assignment{2, 3, "flag"}},
		{spec: "2/3", n: 4, err: "says 3 shards, --shards 4"},
		{spec: "3/3", err: "count from 0 to 2"},
		{spec: "-1/3", err: "count from 0 to 2"},
		{spec: "0/0", err: "need at least 1"},
		{spec: "1", err: "want K/N"},
		{spec: "a/b", err: "want K/N"},
		{spec: "", err: "want K/N"},
		{spec: "auto", err: "none of JOB_COMPLETION_INDEX"},

		// Kubernetes Indexed Job.
		{spec: "auto", n: 7, env: map[string]string{"JOB_COMPLETION_INDEX": "4"}, want: Assignment{4, 7, "JOB_COMPLETION_INDEX"}},
		{spec: "auto", env: map[string]string{"JOB_COMPLETION_INDEX": "4"}, err: "give --shards N"},
		{spec: "auto", n: 3, env: map[string]string{"JOB_COMPLETION_INDEX": "3"}, err: "count from 0 to 2"},
		{spec: "auto", n: 3, env: map[string]string{"JOB_COMPLETION_INDEX": "x"}, err: "not a number"},

		// AWS Batch array job.
		{spec: "auto", n: 3, env: map[string]string{"AWS_BATCH_JOB_ARRAY_INDEX": "0"}, want: Assignment{0, 3, "AWS_BATCH_JOB_ARRAY_INDEX"}},

		// Slurm job arrays: --array=1-7 (IDs from 1), --array=0-2.
		{spec: "auto", env: slurmEnv("5", "1", "7", "7", ""), want: Assignment{4, 7, "SLURM_ARRAY_TASK_ID"}},
		{spec: "auto", n: 3, env: slurmEnv("0", "0", "2", "3", ""), want: Assignment{0, 3, "SLURM_ARRAY_TASK_ID"}},
		{spec: "auto", n: 4, env: slurmEnv("0", "0", "2", "3", ""), err: "SLURM_ARRAY_TASK_COUNT is 3 but --shards is 4"},
		{spec: "auto", env: slurmEnv("2", "0", "6", "4", "2"), err: "step 2"},
		{spec: "auto", env: slurmEnv("2", "0", "6", "3", ""), err: "has 3 tasks, not 7"},
		{spec: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, err: "SLURM_ARRAY_TASK_MIN is not"},

		// GNU parallel: PARALLEL_SEQ counts from 1.
		{spec: "auto", n: 2, env: map[string]string{"PARALLEL_SEQ": "2"}, want: Assignment{1, 2, "PARALLEL_SEQ"}},

		// The first scheduler found decides.
		{spec: "auto", n: 2, env: map[string]string{"JOB_COMPLETION_INDEX": "1", "PARALLEL_SEQ": "1"}, want: Assignment{1, 2, "JOB_COMPLETION_INDEX"}},
		// An explicit K/N ignores the environment.
		{spec: "1/2", env: map[string]string{"JOB_COMPLETION_INDEX": "0"}, want: Assignment{1, 2, "flag"}},
	}
	for _, tc := range tests {
		getenv := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		got, err := Parse(tc.spec, tc.n, getenv)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrShard) {
				t.Errorf("Parse(%q, %d, %v) = %v, %v; want an ErrShard with %q", tc.spec, tc.n, tc.env, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q, %d, %v) = %v, %v; want %v", tc.spec, tc.n, tc.env, got, err, tc.want)
		}
	}
}

// slurmEnv is what Slurm sets for one task of an array (step "" if none).
func slurmEnv(id, lo, hi, count, step string) map[string]string {
	env := map[string]string{"SLURM_ARRAY_TASK_ID": id, "SLURM_ARRAY_TASK_MIN": lo, "SLURM_ARRAY_TASK_MAX": hi, "SLURM_ARRAY_TASK_COUNT": count, "SLURM_ARRAY_JOB_ID": "99"}
	if step != "" {
		env["SLURM_ARRAY_TASK_STEP"] = step
	}
	return env
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0/1", "auto", "3/7", "-1/2", "1/"} {
		f.Add(s, 0, "5")
	}
	f.Fuzz(func(t *testing.T, spec string, n int, v string) {
		env := map[string]string{"SLURM_ARRAY_TASK_ID": v, "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": v}
		a, err := Parse(spec, n, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if err == nil && (a.K < 0 || a.K >= a.N) {
			t.Fatalf("Parse(%q, %d) = %v: K outside 0..N-1", spec, n, a)
		}
	})
}
