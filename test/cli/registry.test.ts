import { COMMAND_FILES, commandNames, findCommand } from '../../src/cli/registry';

/** The registry names commands without loading their files; the names must be exactly what each file defines. */
describe('command registry', () => {
  it('lists, for every command file, exactly the commands it exports', () => {
    for (const f of COMMAND_FILES) expect([...f.names].sort()).toEqual(f.load().commands.map((c) => c.spec.name).sort());
  });

  it('finds every command by name, and nothing else', () => {
    const names = commandNames();
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(findCommand(n)?.spec.name).toBe(n);
    expect(findCommand('no such command')).toBeUndefined();
  });
});
