package main

import (
	"os"
	"strings"

	"github.com/tarx-dev/tarx/internal/sched"
	"github.com/urfave/cli/v2"
)

// shardFlags are the flags of sharded extraction, on extract and get.
func shardFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "shard", Usage: "extract only shard `K/N` of the plan (K from 0; see tarx plan), or auto: " +
			"K (and N) from the scheduler's environment (Kubernetes Indexed Job, AWS Batch or Slurm array, GNU parallel)"},
		&cli.IntFlag{Name: "shards", Usage: "`N` shards, for --shard auto where the scheduler does not tell (Kubernetes, AWS Batch, GNU parallel)"},
		&cli.BoolFlag{Name: "finish", Usage: "once all shards are done: create directories and links, set what is set once, remove DIR/.tarx-shards"},
	}
}

// shardOptions are the values of shardFlags.
type shardOptions struct {
	shard     sched.Assignment // N is 0 without --shard
	finishing bool             // --finish
}

func shardOptionsFrom(c *cli.Context) (shardOptions, error) {
	o := shardOptions{finishing: c.Bool("finish")}
	name := c.Command.Name
	switch {
	case c.IsSet("shard") && o.finishing:
		return o, usagef("%s: --shard runs one shard, --finish runs after all: give one", name)
	case c.IsSet("shards") && !c.IsSet("shard"):
		return o, usagef("%s: --shards is for --shard auto (--finish reads the count from the shards' records)", name)
	case !c.IsSet("shard"):
		return o, nil
	}
	a, err := sched.Parse(c.String("shard"), c.Int("shards"), os.LookupEnv)
	if err != nil {
		return o, usagef("%s: --shard: %s", name, strings.TrimPrefix(err.Error(), sched.ErrShard.Error()+": "))
	}
	o.shard = a
	return o, nil
}

// sharded reports whether the command runs a shard or the finish.
func (o shardOptions) sharded() bool { return o.shard.N > 0 || o.finishing }
