import { Git } from "../git/git.ts";
import { AutoexpError } from "../util/errors.ts";

/** The repository containing `dir`, at its top level; a clear error when there is none. */
export async function findRepository(
  dir: string,
  env: Record<string, string | undefined>,
): Promise<Git> {
  const top = await new Git(dir, env).topLevel().catch((cause) => {
    throw new AutoexpError(
      `${dir} is not inside a git repository: run \`git init\` and commit your files first`,
      { cause },
    );
  });
  return new Git(top, env);
}
