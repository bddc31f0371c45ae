/** What core needs from a person at a terminal. The CLI supplies inquirer; tests supply a double. */
export interface Choice {
  value: string;
  name: string;
  checked?: boolean;
}

export interface Prompter {
  confirm(message: string, defaultValue?: boolean): Promise<boolean>;
  input(message: string): Promise<string>;
  password(message: string): Promise<string>;
  checkbox(message: string, choices: Choice[]): Promise<string[]>;
}
