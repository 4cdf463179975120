/** A tenant as the rest of the code sees it (the platform's `tenants` row, camel-cased). */
export interface Tenant {
  id: string;
  clientCode: string;
  name: string;
  status: 'active' | 'suspended';
  timezone: string;
  defaultCountry: string;
  dataLocation: 'default' | 'dedicated';
  createdAt: Date;
  updatedAt: Date;
}

export function schemaOf(clientCode: string): string {
  return `t_${clientCode}`;
}
