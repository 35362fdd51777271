/** `--shard i/n` on `crosstalk run`. */
import { InvalidArgumentError, Option } from "commander";
import { parseShard } from "./plan.ts";

export function shardOption(): Option {
  return (
    new Option(
      "--shard <i/n>",
      "run only part i of n of the engine × scenario units (merge with crosstalk report --merge)",
    )
      .argParser((value: string) => {
        try {
          return parseShard(value);
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      })
      // A launched or remote engine is one process checked as a whole: its run is not split.
      .conflicts(["command", "image", "url"])
  );
}
