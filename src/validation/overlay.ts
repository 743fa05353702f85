import { DirectorySource, type InventorySource } from '../model/files';

/**
 * An inventory folder with some files replaced or added in memory: what the inventory would be after a command writes
 * them, so the command can validate the result before writing anything.
 */
export class OverlaySource implements InventorySource {
  private readonly base: DirectorySource;
  readonly label: string;
  constructor(dir: string, private readonly files: Readonly<Record<string, string>>) {
    this.base = new DirectorySource(dir);
    this.label = this.base.label;
  }
  list(): string[] {
    return [...new Set([...this.base.list(), ...Object.keys(this.files)])].sort();
  }
  read(rel: string): string | null {
    return  Object.hasOwn(this.files, rel) ? this.files[rel] : this.base.read(rel);
  }
  display(rel: string): string {
    return this.base.display(rel);
  }
}
